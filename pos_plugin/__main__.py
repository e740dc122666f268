from pos_plugin.cli import main

main()
