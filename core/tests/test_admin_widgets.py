"""Widgets render through the project's templates (FORM_RENDERER): the admin's date and time inputs are labelled."""

import re

from django.contrib.admin.widgets import AdminSplitDateTime


def test_the_admin_date_and_time_inputs_each_sit_inside_their_label():
    html = AdminSplitDateTime().render("starts_at", None)
    assert re.search(r'<label>Date: <input[^>]*name="starts_at_0"', html), html
    assert re.search(r'<label>Time: <input[^>]*name="starts_at_1"', html), html
