"""``python -m realtime.media``: the same as ``podium relay``."""

import sys

from realtime.media.app import main

sys.exit(main())
