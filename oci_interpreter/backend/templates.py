"""Chat templates oci supplies when a GGUF file's own is missing or wrong (data only)."""

from __future__ import annotations

# DeepSeek-Coder instruct format, used by OpenCodeInterpreter-DS-*: "### Instruction:" /
# "### Response:", each reply closed by <|EOT|>. Early GGUF conversions of these models carry
# no template, or DeepSeek's base template, which never emits <|EOT|>.
DEEPSEEK_CODER = (
    "{{ bos_token }}"
    "{%- set ns = namespace(found=false) -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}{%- set ns.found = true -%}{%- endif -%}"
    "{%- endfor -%}"
    "{%- if not ns.found -%}"
    "{{ 'You are an AI programming assistant, utilizing the DeepSeek Coder model, developed by "
    "DeepSeek Company, and you only answer questions related to computer science.\\n' }}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'system' -%}{{ message['content'] + '\\n' }}"
    "{%- elif message['role'] == 'user' -%}"
    "{{ '### Instruction:\\n' + message['content'] + '\\n' }}"
    "{%- else -%}{{ '### Response:\\n' + message['content'] + '\\n<|EOT|>\\n' }}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '### Response:\\n' }}{%- endif -%}"
)
DEEPSEEK_CODER_STOPS = ("<|EOT|>", "\n### Instruction:")

# ChatML, the fallback for a file with no template at all (Qwen and many others use it).
CHATML = (
    "{%- for message in messages -%}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
CHATML_STOPS = ("<|im_end|>",)
