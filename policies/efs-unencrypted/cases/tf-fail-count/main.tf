# count instances: aws_efs_file_system.shared[0] is encrypted, [1] has
# encrypted = false (finding at the value).

provider "aws" {
  region                      = "us-east-1"
  access_key                  = "AKIAFAKEFAKEFAKEFAKE"
  secret_key                  = "fake-secret-key-for-offline-plans"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}

resource "aws_efs_file_system" "shared" {
  count          = 2
  creation_token = "shared-${count.index}"
  encrypted      = count.index == 0
}
