"""The pages of the assessment year, by subdomain (year, catalogue, reports, scoring, fraud,
claims, inputs, corrections, results). Thin: parse (forms), fetch through core.access or a
selector (404), call one service (403/409 raised there), render."""
