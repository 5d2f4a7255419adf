# aws_launch_configuration block devices: one finding per block. The root device has
# encrypted = false (finding at the value); ebs_block_device /dev/sdf does not set encrypted
# (finding at the block); /dev/sdg is encrypted.

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_launch_configuration" "app" {
  name_prefix   = "app-"
  image_id      = "ami-0123456789abcdef0"
  instance_type = "t3.micro"

  root_block_device {
    volume_size = 10
    encrypted   = false
  }

  ebs_block_device {
    device_name = "/dev/sdf"
    volume_size = 10
  }

  ebs_block_device {
    device_name = "/dev/sdg"
    volume_size = 10
    encrypted   = true
  }
}
