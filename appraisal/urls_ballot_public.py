"""The public ballot page of an online democratic evaluation (Art. 15): no log-in, under
/ballot/ (config/urls.py), namespace "ballot"."""

from django.urls import path

from .views import ballots

app_name = "ballot"

urlpatterns = [
    path("<str:token>/", ballots.ballot, name="ballot"),
]
