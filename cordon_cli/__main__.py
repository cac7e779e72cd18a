"""`python -m cordon_cli`: the same as the `cordon` console script."""

import sys

from cordon_cli.main import main

sys.exit(main())
