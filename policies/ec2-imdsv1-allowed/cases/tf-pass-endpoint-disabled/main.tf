# Trap: http_endpoint = "disabled" turns the metadata service off, so http_tokens does not
# matter (instance, launch template and launch configuration). No findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_instance" "offline" {
  ami           = "ami-0123456789abcdef0"
  instance_type = "t3.micro"

  root_block_device {
    encrypted = true
  }

  metadata_options {
    http_endpoint = "disabled"
    http_tokens   = "optional"
  }
}

resource "aws_launch_template" "offline" {
  name_prefix = "offline-"
  image_id    = "ami-0123456789abcdef0"

  metadata_options {
    http_endpoint = "disabled"
  }
}

resource "aws_launch_configuration" "offline" {
  name_prefix   = "offline-"
  image_id      = "ami-0123456789abcdef0"
  instance_type = "t3.micro"

  root_block_device {
    encrypted = true
  }

  metadata_options {
    http_endpoint = "disabled"
  }
}
