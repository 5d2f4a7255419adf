variable "manage_default_sg" {
  type = bool
}

resource "aws_vpc" "main" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_default_security_group" "default" {
  count  = var.manage_default_sg ? 1 : 0
  vpc_id = aws_vpc.main.id
}
