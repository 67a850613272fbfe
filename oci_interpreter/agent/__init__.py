"""Agent: the generate -> execute -> refine loop, prompts and conversation history."""
