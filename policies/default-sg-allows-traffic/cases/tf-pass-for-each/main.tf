# for_each VPCs, each with its own rule-less aws_default_security_group
# (vpc_id = aws_vpc.main[each.key].id, so its references name aws_vpc.main): no findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

locals {
  vpcs = {
    a = "10.0.0.0/16"
    b = "10.1.0.0/16"
  }
}

resource "aws_vpc" "main" {
  for_each   = local.vpcs
  cidr_block = each.value
}

resource "aws_default_security_group" "default" {
  for_each = local.vpcs
  vpc_id   = aws_vpc.main[each.key].id
}
