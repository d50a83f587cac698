"""spark-submit entry point of the fleet job; the job is batchdiag.fleet in the wheel
(install the wheel on the cluster first). See README.md, "Fleet: many bundles on Spark"."""

import sys

from batchdiag.fleet import main

if __name__ == "__main__":
    sys.exit(main())
