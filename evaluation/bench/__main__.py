"""`python -m evaluation.bench`: the benchmarks (evaluation.bench.run), as documented."""

from evaluation.bench.run import main

raise SystemExit(main())
