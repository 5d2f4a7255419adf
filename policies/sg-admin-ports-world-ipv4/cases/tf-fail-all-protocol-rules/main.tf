# Trap: protocol "-1" on the rule resources: aws_security_group_rule with ports 0..0,
# and aws_vpc_security_group_ingress_rule with ip_protocol "-1" and no ports.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "security_group_id" {
  type    = string
  default = "sg-0123456789abcdef0"
}

resource "aws_security_group_rule" "all_in" {
  type              = "ingress"
  security_group_id = var.security_group_id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["0.0.0.0/0"]
}

resource "aws_vpc_security_group_ingress_rule" "all_in" {
  security_group_id = var.security_group_id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
