"""Demo data of the assessment (filled in below)."""


def seed_appraisal(sub_district) -> int:
    return 0
