# Trap: protocol spellings. aws_security_group normalises "all" to "-1" and "6" to
# "tcp" in the plan; aws_vpc_security_group_ingress_rule keeps ip_protocol as written
# ("TCP", "6", "all"), so rules must ignore case and accept numbers and "all".

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "vpc_id" {
  type    = string
  default = "vpc-0123456789abcdef0"
}

variable "security_group_id" {
  type    = string
  default = "sg-0123456789abcdef0"
}

resource "aws_security_group" "spelled" {
  name   = "spelled"
  vpc_id = var.vpc_id

  ingress {
    protocol    = "6"
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_ingress_rule" "upper_tcp" {
  security_group_id = var.security_group_id
  ip_protocol       = "TCP"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "number_tcp" {
  security_group_id = var.security_group_id
  ip_protocol       = "6"
  from_port         = 22
  to_port           = 22
  cidr_ipv6         = "::/0"
}

resource "aws_vpc_security_group_ingress_rule" "all" {
  security_group_id = var.security_group_id
  ip_protocol       = "all"
  cidr_ipv4         = "0.0.0.0/0"
}
