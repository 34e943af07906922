from auditor.cli.commands import main

main()
