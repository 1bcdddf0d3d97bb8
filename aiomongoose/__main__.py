"""``python -m aiomongoose``: the ``aiomongoose`` command."""

import sys

from .cli import main

sys.exit(main())
