"""The satisfaction-evaluation stage (Art. 15): the votes step and the online ballot meetings
(in the "appraisal" namespace; the public ballot page is in urls_ballot_public)."""

from django.urls import path

from .views import ballots

urlpatterns = [
    path("<int:number>/votes/stage/", ballots.vote_stage, name="vote_stage"),
    path("<int:number>/votes/rounds/<int:round>/", ballots.vote_round, name="vote_round"),
    path("<int:number>/ballots/new/", ballots.ballot_meeting_new, name="ballot_meeting_new"),
    path("<int:number>/ballots/<int:pk>/", ballots.ballot_meeting, name="ballot_meeting"),
    path(
        "<int:number>/ballots/<int:pk>/tally.json",
        ballots.ballot_meeting_tally,
        name="ballot_meeting_tally",
    ),
    path(
        "<int:number>/ballots/<int:pk>/close/",
        ballots.ballot_meeting_close,
        name="ballot_meeting_close",
    ),
    path(
        "<int:number>/ballots/<int:pk>/renew/",
        ballots.ballot_meeting_regenerate,
        name="ballot_meeting_regenerate",
    ),
]
