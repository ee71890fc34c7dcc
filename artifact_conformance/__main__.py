from artifact_conformance.cli import main

raise SystemExit(main())
