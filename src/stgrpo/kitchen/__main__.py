from stgrpo.kitchen.cli import main

raise SystemExit(main())
