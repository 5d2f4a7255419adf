# Trap: aws_network_acl_rule accepts a non-canonical world CIDR ("10.0.0.0/0", prefix
# length 0) and protocol "all" with no ports; both mean everything.

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

resource "aws_network_acl_rule" "everything" {
  network_acl_id = var.network_acl_id
  rule_number    = 100
  protocol       = "all"
  rule_action    = "allow"
  cidr_block     = "10.0.0.0/0"
}
