# Trap: UDP 22 open to the world is not SSH (sg-ssh-world is tcp/all only), but the
# CIS admin-port rule counts udp, so only sg-admin-ports-world-ipv4 fires.

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

resource "aws_security_group" "udp" {
  name   = "udp"
  vpc_id = var.vpc_id

  ingress {
    protocol    = "udp"
    from_port   = 22
    to_port     = 22
    cidr_blocks = ["0.0.0.0/0"]
  }
}
