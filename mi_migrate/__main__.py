from mi_migrate.cli import main

main()
