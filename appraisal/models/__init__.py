"""The assessment year (Art. 4–8, 10, 12, 16, 17, 19): its settings, catalogue and every input,
by subdomain. The app label and model names are those of appraisal.models (audit rows and work
items name their subject as `appraisal.<model>`).

The results are never stored: services read these rows, feed the pure engine (appraisal.domain)
and show what it returns (scoring.md: store nothing that can be recomputed).
"""

from .ballots import *  # noqa: F403  (VoteRound, BallotMeeting, BallotCode: Art. 15)
from .catalogue import SCHEDULE_REPORTS, Category, Indicator, Schedule
from .claims import BonusClaim, BonusLevel, ClaimObjection, ClaimState, ObjectionState
from .corrections import (
    OPEN_CORRECTION_STATES,
    Correction,
    CorrectionState,
    ResultsVersion,
    ResultsVersionQuerySet,
)
from .fraud import FraudFinding, FraudState
from .inputs import Comprehensive, FullMarksException, Vote, VoteKind
from .reports import Report, ReportVersion
from .scoring import Adjustment, Score, SpotCheck
from .selfeval import *  # noqa: F403  (the communities' self-evaluation: Art. 15)
from .team import *  # noqa: F403  (the joint team and its verification: Art. 14)
from .year import (
    FROZEN,
    INPUTS_CLOSED,
    POINTS,
    STEPS,
    AssessedUnit,
    AssessmentYear,
    D,
    YearStatus,
    default_bottom_penalty,
    default_grade_bands,
    default_rank_bonus,
    full_marks_allow_decision,
    no_open_correction,
)
from .yearend import *  # noqa: F403  (Decision, Interview: Art. 16, 18)

__all__ = [
    "FROZEN",
    "INPUTS_CLOSED",
    "OPEN_CORRECTION_STATES",
    "POINTS",
    "SCHEDULE_REPORTS",
    "STEPS",
    "Adjustment",
    "AssessedUnit",
    "AssessmentYear",
    "BonusClaim",
    "BonusLevel",
    "Category",
    "ClaimObjection",
    "ClaimState",
    "Comprehensive",
    "Correction",
    "CorrectionState",
    "D",
    "FraudFinding",
    "FraudState",
    "FullMarksException",
    "Indicator",
    "ObjectionState",
    "Report",
    "ReportVersion",
    "ResultsVersion",
    "ResultsVersionQuerySet",
    "Schedule",
    "Score",
    "SpotCheck",
    "Vote",
    "VoteKind",
    "YearStatus",
    "default_bottom_penalty",
    "default_grade_bands",
    "default_rank_bonus",
    "full_marks_allow_decision",
    "no_open_correction",
]
