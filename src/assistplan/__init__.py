"""assistplan: Terraform for OpenAI assistants."""

__version__ = "0.1.0"
