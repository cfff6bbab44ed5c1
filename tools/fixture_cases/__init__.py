"""The ops and cases tools/gen_fixtures.py records. Each module registers its ops in common.OPS."""
from . import pointwise, reductions, structure  # noqa: F401  (imported for their registrations)
from .common import OPS  # noqa: F401
