# Trap: aws_vpc_security_group_ingress_rule with cidr_ipv6: ip_protocol "-1" without
# ports (all ports), and udp 3389 (counts for the CIS rule, not for sg-ssh-world).

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

resource "aws_vpc_security_group_ingress_rule" "all" {
  security_group_id = var.security_group_id
  ip_protocol       = "-1"
  cidr_ipv6         = "::/0"
}

resource "aws_vpc_security_group_ingress_rule" "rdp_udp" {
  security_group_id = var.security_group_id
  ip_protocol       = "udp"
  from_port         = 3389
  to_port           = 3389
  cidr_ipv6         = "0::/0"
}
