# Trap: aws_vpc_security_group_ingress_rule (cidr_ipv4) is checked; the matching
# aws_vpc_security_group_egress_rule is not.

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

resource "aws_vpc_security_group_ingress_rule" "ssh" {
  security_group_id = var.security_group_id
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = var.security_group_id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
