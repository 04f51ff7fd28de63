"""What the front ends show: the terminal output, the prompts, and the --json documents."""
