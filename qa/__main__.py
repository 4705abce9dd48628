import sys

from qa.interface.startup import interruptible_start

main = interruptible_start(lambda: __import__("qa.interface.cli", fromlist=["main"]).main)
sys.exit(main())
