# Launch templates: one with http_tokens = "optional" (finding at the value), one without a
# metadata_options block (finding at the start of change.after).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_launch_template" "optional" {
  name_prefix = "optional-"
  image_id    = "ami-0123456789abcdef0"

  metadata_options {
    http_tokens = "optional"
  }
}

resource "aws_launch_template" "bare" {
  name_prefix = "bare-"
  image_id    = "ami-0123456789abcdef0"
}
