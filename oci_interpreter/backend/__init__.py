"""Backends: the model. ``base`` defines the interface, ``llama`` runs llama.cpp in
process (the only module that imports ``llama_cpp``), ``fake`` is scripted for tests."""
