"""Development tools that write code in the house style, such as the `new-domain` command.
Nothing in this package runs inside the service."""
