"""Production settings with WhiteNoise's compressed storage but no manifest of hashed names.

bench/run.py falls back to this only when ``collectstatic`` with the manifest storage fails (for
example a vendored file that names a missing source map), and says so in its table: the pages
then link unhashed static files, which changes nothing for the figures measured here.
"""

from cswb.settings import *  # noqa: F403
from cswb.settings import STORAGES

STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
