"""The site's icon: linked from every page, and at /favicon.ico for browsers and crawlers that ask there."""

import pytest

pytestmark = pytest.mark.django_db


def test_favicon_ico_redirects_to_the_static_icon_which_is_served(client):
    # when a browser asks for /favicon.ico (as they do without reading the page)
    response = client.get("/favicon.ico")
    # then it is sent to the static icon, which is an icon
    assert response.status_code in (301, 302)
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert icon["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")
    assert b"".join(icon.streaming_content if icon.streaming else [icon.content])[:4] == b"\x00\x00\x01\x00"


def test_every_page_links_the_icon_files_not_an_inline_data_url(client):
    html = client.get("/").content.decode()
    assert 'rel="icon" href="/static/favicon.ico"' in html
    assert 'href="/static/favicon.svg" type="image/svg+xml"' in html
    assert "data:image/svg+xml" not in html
    svg = client.get("/static/favicon.svg")
    assert svg.status_code == 200
