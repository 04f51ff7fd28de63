from adopt.cli import main

main()
