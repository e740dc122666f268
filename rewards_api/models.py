"""Imports every model module so that ``Base.metadata`` knows every table
(Alembic and the schema check need the whole picture)."""

from rewards_api import idempotency  # noqa: F401
from rewards_api.agents import models as agents  # noqa: F401
from rewards_api.assist import models as assist  # noqa: F401
from rewards_api.ledger import models as ledger  # noqa: F401
from rewards_api.localized import models as localized  # noqa: F401
from rewards_api.pos import models as pos  # noqa: F401
from rewards_api.products import models as products  # noqa: F401
from rewards_api.refusals import models as refusals  # noqa: F401
from rewards_api.scans import models as scans  # noqa: F401
from rewards_api.shoppers import models as shoppers  # noqa: F401
from rewards_api.signin import models as signin  # noqa: F401
from rewards_api.staff import models as staff  # noqa: F401
from rewards_api.stores import models as stores  # noqa: F401
from rewards_api.visits import models as visits  # noqa: F401
from rewards_api.walkins import models as walkins  # noqa: F401
