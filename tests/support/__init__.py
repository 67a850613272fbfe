"""Helpers the tests share: GGUF files made to order, a local Hugging Face hub, a fake
OpenAI-compatible server, and the start-up and checks of real model servers."""
