variable "name" {
  type = string
}

resource "aws_security_group" "admin" {
  count  = 1
  name   = "admin-${var.name}-${count.index}"
  vpc_id = "vpc-0123456789abcdef0"

  ingress {
    protocol    = "tcp"
    from_port   = 3389
    to_port     = 3389
    cidr_blocks = ["0.0.0.0/0"]
  }
}
