# Trap: port ranges. 0-65535 and 20-30 cover 22; 3000-4000 (udp) covers 3389;
# 23-3388 covers neither. Entries are ingress set elements, in the plan's order.

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

resource "aws_security_group" "ranges" {
  name   = "ranges"
  vpc_id = var.vpc_id

  ingress {
    protocol    = "tcp"
    from_port   = 0
    to_port     = 65535
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    protocol    = "tcp"
    from_port   = 20
    to_port     = 30
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    protocol    = "udp"
    from_port   = 3000
    to_port     = 4000
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    protocol    = "tcp"
    from_port   = 23
    to_port     = 3388
    cidr_blocks = ["0.0.0.0/0"]
  }
}
