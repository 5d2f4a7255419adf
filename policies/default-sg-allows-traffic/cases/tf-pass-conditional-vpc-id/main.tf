# Trap: the default security group's vpc_id is a variable-driven conditional over two VPCs,
# so its configuration references name both; each VPC is referenced by an
# aws_default_security_group through vpc_id, and the group has no rules: no findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

variable "use_secondary" {
  type    = bool
  default = false
}

resource "aws_vpc" "primary" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_vpc" "secondary" {
  cidr_block = "10.1.0.0/16"
}

resource "aws_default_security_group" "default" {
  vpc_id = var.use_secondary ? aws_vpc.secondary.id : aws_vpc.primary.id
}
