"""`python -m faq` runs the magbot command line."""

import sys

from faq.cli import main

sys.exit(main())
