"""The forms of the appraisal pages, by subdomain: they parse; the services decide."""
