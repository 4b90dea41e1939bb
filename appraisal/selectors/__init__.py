"""Reads used by the appraisal pages, by subdomain: their queries and visibility in one place."""
