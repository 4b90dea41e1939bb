import pytest
from django.urls import reverse

from core.models import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", list(Role.values))
def test_each_role_sees_its_home_page_in_chinese(client, org, role):
    # given a member of the role
    user = org.user(role)
    # when they log in and open the home page
    client.force_login(user)
    response = client.get(reverse("home"))
    # then it greets them in Chinese with their role's section
    assert response.status_code == 200
    body = response.content.decode()
    assert f'data-role="{role}"' in body
    assert "退出" in body
