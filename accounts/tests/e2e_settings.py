"""Settings for the daphne child process of the accounts browser journeys.

Same as config.settings.test, except that emails land in files (EMAIL_FILE_PATH) so the test can open
the verification email, and the vendors run in their local sandboxes.
"""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["EMAIL_FILE_PATH"]
ACCOUNT_RATE_LIMITS = False
PERSONA_API_KEY = ""
AUTHORIZE_NET_LOGIN_ID = ""
AUTHORIZE_NET_TRANSACTION_KEY = ""
AUTHORIZE_NET_CLIENT_KEY = ""
