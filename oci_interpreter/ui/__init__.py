"""UI: Rich rendering and prompt_toolkit input. Renders what the agent and backend report."""
