# Trap: IPv6 world CIDRs written as "0::/0" and "0:0:0:0:0:0:0:0/0" (parse, don't
# string-compare). A block with several CIDRs is one entry: one finding at the first
# world CIDR (ipv6_cidr_blocks/1).

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

resource "aws_security_group" "ssh" {
  name   = "ssh"
  vpc_id = var.vpc_id

  ingress {
    protocol         = "tcp"
    from_port        = 22
    to_port          = 22
    ipv6_cidr_blocks = ["2001:db8::/32", "0::/0", "::/0"]
  }
}

resource "aws_security_group_rule" "rdp" {
  type              = "ingress"
  security_group_id = var.security_group_id
  protocol          = "tcp"
  from_port         = 3389
  to_port           = 3389
  ipv6_cidr_blocks  = ["0:0:0:0:0:0:0:0/0"]
}
