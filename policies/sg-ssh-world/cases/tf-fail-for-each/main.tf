# Trap: for_each instance keys: the finding's resource is the full instance address
# (aws_security_group.web["public"]); the "internal" instance allows only 10.0.0.0/8.

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

locals {
  ssh_sources = {
    public   = "0.0.0.0/0"
    internal = "10.0.0.0/8"
  }
}

resource "aws_security_group" "web" {
  for_each = local.ssh_sources
  name     = "web-${each.key}"
  vpc_id   = var.vpc_id

  ingress {
    protocol    = "tcp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = [each.value]
  }
}
