# Trap: IPv6 world CIDRs: an aws_network_acl ingress block with protocol "6" and
# ipv6_cidr_block "0::/0" (its cidr_block is "" in the plan) and an aws_network_acl_rule
# with udp 3389 from ::/0.

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

variable "network_acl_id" {
  type    = string
  default = "acl-0123456789abcdef0"
}

resource "aws_network_acl" "public" {
  vpc_id = var.vpc_id

  ingress {
    rule_no         = 100
    action          = "allow"
    protocol        = "6"
    from_port       = 22
    to_port         = 22
    ipv6_cidr_block = "0::/0"
  }
}

resource "aws_network_acl_rule" "rdp_udp" {
  network_acl_id  = var.network_acl_id
  rule_number     = 110
  protocol        = "udp"
  rule_action     = "allow"
  ipv6_cidr_block = "::/0"
  from_port       = 3389
  to_port         = 3389
}
