# Trap: an aws_instance launched from a launch template (launch_template block), without a
# metadata_options block of its own, is exempt: the template governs (here it requires tokens).
# No findings.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_launch_template" "app" {
  name_prefix = "app-"
  image_id    = "ami-0123456789abcdef0"

  block_device_mappings {
    device_name = "/dev/xvda"
    ebs {
      volume_size = 10
      encrypted   = "true"
    }
  }

  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_instance" "app" {
  instance_type = "t3.micro"

  launch_template {
    id      = aws_launch_template.app.id
    version = "$Latest"
  }
}
