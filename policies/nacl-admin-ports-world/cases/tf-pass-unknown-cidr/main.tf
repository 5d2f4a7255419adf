# Trap: a cidr_block built from another resource's attribute (an EIP's public_ip) is
# unknown until apply: no world-open finding.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "network_acl_id" {
  type    = string
  default = "acl-0123456789abcdef0"
}

resource "aws_eip" "bastion" {
  domain = "vpc"
}

resource "aws_network_acl_rule" "ssh" {
  network_acl_id = var.network_acl_id
  rule_number    = 100
  protocol       = "tcp"
  rule_action    = "allow"
  cidr_block     = "${aws_eip.bastion.public_ip}/32"
  from_port      = 22
  to_port        = 22
}
